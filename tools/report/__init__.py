"""bulwark.report: compliance evidence per host and policy control (`bulwark report`)."""
