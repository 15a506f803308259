"""bulwark.scan: network-side audits of the fleet (`bulwark scan-creds`, policy B23/B1/B34)."""
