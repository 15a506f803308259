#!/bin/sh
# Read-only probe for playbooks/evidence.yml: prints "### section" blocks parsed by
# bulwark.report.facts.sections(). It never writes to the host and never prints a password hash
# (shadow: the hash scheme prefix only) or a secret file's content (stat only).
# Arguments: the admin account names from the inventory (bulwark_admins).
export LC_ALL=C SYSTEMD_COLORS=0 SYSTEMD_PAGER=
section() { printf '### %s\n' "$1"; }
# Whole files the checks parse (configuration and Bulwark state; no secrets: password and env
# files are only stat'ed below).
emit() { for f in "$@"; do [ -f "$f" ] && { section "file $f"; cat "$f"; }; done; }
state_dirs=$( (echo /var/lib/bulwark; awk '/^state_dir:/ {print $2}' /etc/bulwark/*.yml \
  2>/dev/null) | sort -u)

section "container"
[ -e /run/.containerenv ] && echo yes || echo no
emit /etc/login.defs /etc/security/pwquality.conf /etc/security/faillock.conf \
  /etc/pam.d/common-auth /etc/pam.d/common-password /etc/pam.d/sshd \
  /etc/systemd/journald.conf /etc/modprobe.d/bulwark-blacklist.conf \
  /etc/sysctl.d/90-bulwark.conf /etc/audit/auditd.conf /etc/audit/rules.d/*.rules \
  /etc/security/pwquality.conf.d/*.conf /etc/systemd/journald.conf.d/*.conf \
  /etc/bulwark/*.yml /etc/bulwark/*.yaml
for d in $state_dirs; do
  emit "$d/state.json" "$d/patching/latest.json"
  [ -f "$d/runs.jsonl" ] && { section "runs $d"; tail -n 50 "$d/runs.jsonl"; }
  # Every repository's newest drill is among the newest reports (F28).
  for f in $(ls -t "$d"/drills/*.json 2>/dev/null | head -n 60); do
    section "drill $f"; cat "$f"; echo; done
done
section "passwd"
getent passwd
section "passwd-status"
passwd --status --all 2>&1
section "apt-lists"
ls /var/lib/apt/lists/ 2>/dev/null | grep -c '_Packages'
section "apt-simulate"
apt-get --simulate --option Debug::NoLocking=1 upgrade 2>&1
echo "rc=$?"
section "apt-trusted"
grep -rlE 'trusted=yes|Trusted:[[:space:]]*yes' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null
section "listening"
ss --tcp --udp --listening --numeric --no-header --processes 2>&1
section "services"
systemctl list-units --type=service --all --full --plain --no-legend --no-pager 2>&1
section "clamav"
stat -c '%Y' /var/lib/clamav/daily.* 2>/dev/null | sort -n | tail -n 1
section "journal"
[ -d /var/log/journal ] && echo present
section "dev-log"
[ -e /dev/log ] && echo present || echo missing

# Accounts to check per user: admins, root, every login account, and a name that is nobody's
# (what sshd/sudo grant a non-admin). C12, C13, B27.
users="root bulwark-nonadmin-probe $*"
users="$users $(getent passwd | awk -F: '$3 >= 1000 && $3 < 60000 {print $1}')"
users=$(printf '%s\n' $users | sort -u)
addr=$(hostname -I 2>/dev/null | awk '{print $1}')
for u in $users; do
  section "sshd $u"
  sshd -T -C "user=$u,host=bulwark-evidence,addr=${addr:-192.0.2.1}" 2>&1
  echo "rc=$?"
done
for u in $users; do
  section "sudo $u"
  if command -v sudo >/dev/null 2>&1; then sudo -n -l -U "$u" 2>&1; else echo "sudo not installed"; fi
done
section "sudoers-nopasswd-all"
grep -rhE '^[^#].*NOPASSWD:[[:space:]]*ALL' /etc/sudoers /etc/sudoers.d 2>/dev/null
section "group sudo"
getent group sudo
section "shadow-schemes"
# user and the hash scheme only ($y$, $6$, !, *, empty): never the hash.
awk -F: '{s=$2; if (s ~ /^!/) {l="locked:"; s=substr(s,2)} else l="";
  if (s ~ /^\$/) {split(s, p, "$"); s="$" p[2] "$"} print $1, l s, $5}' /etc/shadow
section "apt-config"
apt-config dump 2>&1 | grep -iE 'allow(unauthenticated|insecure|downgrade|weak)|^APT::Periodic|^Unattended-Upgrade::(Origins-Pattern|Allowed-Origins)'
section "nft-json"
nft -j list ruleset 2>&1
section "nft-rc"
command -v nft >/dev/null 2>&1 && echo installed || echo missing
section "timers"
systemctl list-timers --all --full --no-legend --no-pager 2>&1
section "unit-files"
systemctl list-unit-files --full --no-legend --no-pager --type=timer,service,target,mount 2>&1
section "stat"
stat -c '%n %a %U %G' /etc/shadow /etc/gshadow /etc/passwd /etc/group /etc/sudoers \
  /etc/ssh/sshd_config /etc/crontab /etc/bulwark /etc/bulwark/* /etc/bulwark/credentials/* \
  /var/lib/bulwark \
  /var/lib/bulwark/* /etc/ssh/ssh_host_*_key /root /var/log/bulwark \
  /var/lib/aide/aide.db /var/lib/aide/aide.db.gz /etc/cron.allow /etc/at.allow \
  /var/lib/bulwark/accounts/weak-passwords.json /etc/cron.d /var/log/auth.log \
  $(awk '$1 == "url:" && $2 ~ /^\// {print $2}' /etc/bulwark/*.yml 2>/dev/null) 2>/dev/null
section "packages"
dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' 2>/dev/null | awk '$2 ~ /^ii/ {print $1}'
section "statoverride"
dpkg-statoverride --list 2>/dev/null
section "sysctl"
sysctl -a 2>/dev/null | grep -E '^(net\.ipv4\.(ip_forward|conf\.all\.(accept_redirects|send_redirects|accept_source_route|rp_filter|log_martians)|tcp_syncookies|icmp_echo_ignore_broadcasts)|net\.ipv6\.conf\.all\.accept_(redirects|ra)|kernel\.(randomize_va_space|kptr_restrict|dmesg_restrict|yama\.ptrace_scope)|fs\.(suid_dumpable|protected_(hardlinks|symlinks)))'
section "modprobe"
for m in usb-storage cramfs freevxfs dccp sctp rds tipc firewire-core; do
  printf '%s ' "$m"; modprobe -n -v "$m" 2>&1 | tr '\n' ' '; echo
done
section "mounts"
findmnt -n -o TARGET,FSTYPE,OPTIONS /tmp 2>/dev/null
section "profile"
grep -rhE '^[^#]*(TMOUT|umask)' /etc/profile /etc/profile.d /etc/bash.bashrc 2>/dev/null
section "login.defs-umask"
grep -E '^(UMASK|ENCRYPT_METHOD|PASS_MIN_DAYS|PASS_WARN_AGE|SHA_CRYPT_MIN_ROUNDS)' /etc/login.defs
section "issue.net"
head -c 400 /etc/issue.net 2>/dev/null
section "journald"
systemd-analyze cat-config systemd/journald.conf 2>/dev/null | grep -vE '^\s*(#|$)'
section "audit-rules"
auditctl -l 2>&1 | head -200
section "rsyslog-remote"
grep -rhE '^[^#]*(@@?[A-Za-z0-9]|action\(.*omfwd)' /etc/rsyslog.conf /etc/rsyslog.d 2>/dev/null
section "logs"
ls /var/log/auth.log /var/log/syslog /var/log/wtmp /var/log/bulwark 2>/dev/null
section "pam-su"
grep -hE '^[^#]*pam_wheel' /etc/pam.d/su 2>/dev/null
section "pam-pwhistory"
grep -hE '^[^#]*pam_pwhistory' /etc/pam.d/common-password 2>/dev/null
section "chage-admins"
for u in "$@"; do printf '%s ' "$u"; chage -l "$u" 2>/dev/null | grep -i 'Maximum' | awk -F: '{print $2}'; done
section "useradd"
useradd -D 2>/dev/null
section "inetd"
ls /etc/inetd.conf /etc/xinetd.d 2>/dev/null
section "rkhunter-conf"
grep -hE '^(UPDATE_MIRRORS|MIRRORS_MODE|WEB_CMD)' /etc/rkhunter.conf.local 2>/dev/null
section "clamav-log"
ls -l --time-style=+%s /var/log/bulwark /var/log/clamav 2>/dev/null | head -40
section "coredump"
grep -rhE '^[^#]*\bcore\b' /etc/security/limits.conf /etc/security/limits.d 2>/dev/null
systemd-analyze cat-config systemd/coredump.conf 2>/dev/null | grep -E '^(Storage|ProcessSizeMax)='
section "freshclam"
grep -hE '^Checks\s' /etc/clamav/freshclam.conf 2>/dev/null
section "snmp"
# C8: only whether snmpd is configured and how many communities are default or weak; the
# community strings themselves never leave the host.
[ -f /etc/snmp/snmpd.conf ] && awk '$1 ~ /^r[ow]community6?$/ {
  d += ($2 == "public" || $2 == "private")
  w += !(length($2) >= 9 && $2 ~ /[A-Za-z]/ && $2 ~ /[0-9]/) }
  END {printf "configured default=%d weak=%d\n", d, w}' /etc/snmp/snmpd.conf
section "authorized-keys"
getent passwd | while IFS=: read -r u _ uid _ _ home _; do
  [ -s "$home/.ssh/authorized_keys" ] && echo "$u"; done
section "end"
