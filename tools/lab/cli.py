"""`bulwark lab`: a local fleet of Debian 12 hosts (rootful podman) to harden and back up."""

from __future__ import annotations

from pathlib import Path

import click

from bulwark.lab import fleet, image


def _lab_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not fleet.LAB_NAME.fullmatch(value):
        raise click.BadParameter(f"{value!r}: use letters, digits, '_', '.' and '-', starting "
                                 "with a letter or digit (it prefixes container names)")
    return value


@click.group()
@click.option("--name", "lab_name", default=fleet.DEFAULT_LAB, show_default=True,
              envvar="BULWARK_LAB", callback=_lab_name,
              help="Lab name: prefixes containers, so labs can coexist.")
@click.pass_context
def lab(ctx: click.Context, lab_name: str) -> None:
    """A local fleet of Debian 12 systemd hosts in podman, with SSH on 127.0.0.1.

    \b
    The first `up` builds and caches the images (debootstrap, a few minutes). Every host gets
    the admin account `ops` (generated ed25519 key, passwordless sudo), and the inventory is
    written to inventories/lab/ for `ansible-playbook -i inventories/lab ...`.
    """
    ctx.obj = lab_name


@lab.command()
@click.option("--hosts", "count", type=click.IntRange(1, fleet.MAX_HOSTS), default=3,
              show_default=True,
              help="Number of hosts (named lab1..labN, SSH on 127.0.0.1:2201..).")
@click.option("--neglected", multiple=True, metavar="NAME",
              help="Host to start in the neglected state: vendor default passwords, telnet, "
                   "FTP, TFTP, SNMP 'public', password SSH. Repeatable.")
@click.option("--first-port", type=click.IntRange(1024, 65000), default=fleet.FIRST_PORT,
              show_default=True, help="SSH port of lab1 on 127.0.0.1; the others follow.")
@click.option("--inventory-dir", type=click.Path(file_okay=False, path_type=Path),
              default=fleet.DEFAULT_INVENTORY, show_default=True)
@click.pass_obj
def up(lab_name: str, count: int, neglected: tuple[str, ...], first_port: int,
       inventory_dir: Path) -> None:
    """Start the lab hosts (idempotent) and write the inventory."""
    hosts = fleet.up(count, neglected, first_port=first_port, inventory_dir=inventory_dir,
                     lab=lab_name, log=click.echo)
    for host in hosts:
        kind = "neglected" if host.neglected else "clean"
        click.echo(f"{host.name:6} {kind:9} ssh -p {host.port} {fleet.ADMIN}@127.0.0.1")
    click.echo(f"inventory: {inventory_dir / 'hosts.yml'}")


@lab.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def status(lab_name: str, as_json: bool) -> None:
    """Show the lab hosts, their state and whether SSH answers."""
    rows = fleet.status(lab_name)
    if as_json:
        click.echo(fleet.as_json(rows))
        return
    if not rows:
        click.echo("no lab hosts (start them with `bulwark lab up`)")
        return
    click.echo(f"{'HOST':6} {'KIND':9} {'STATE':8} {'SSH':15} UP")
    for r in rows:
        click.echo(f"{r['name']:6} {r['kind']:9} {r['state']:8} {r['ssh']:15} "
                   f"{'yes' if r['ssh_up'] else 'no'}")


@lab.command()
@click.option("--inventory-dir", type=click.Path(file_okay=False, path_type=Path),
              default=fleet.DEFAULT_INVENTORY, show_default=True)
@click.pass_obj
def down(lab_name: str, inventory_dir: Path) -> None:
    """Remove every lab host and the generated inventory (the key pair is kept)."""
    removed = fleet.down(inventory_dir, lab=lab_name, log=click.echo)
    click.echo(f"{removed} host(s) removed")


@lab.command("image")
@click.option("--neglected/--no-neglected", default=True, show_default=True,
              help="Also build the neglected-server image.")
@click.option("--force", is_flag=True, help="Rebuild even if the images are cached.")
def image_cmd(neglected: bool, force: bool) -> None:
    """Build (once, cached in podman) the Debian 12 lab images."""
    built = image.build_base(force=force)
    click.echo(f"{image.BASE_IMAGE}: {'built' if built else 'cached'}")
    if neglected:
        built = image.build_neglected(force=force)
        click.echo(f"{image.NEGLECTED_IMAGE}: {'built' if built else 'cached'}")
