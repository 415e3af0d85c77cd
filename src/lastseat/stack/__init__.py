"""The tiers as processes: what `lastseat up` starts, and the helpers tests and benches share."""
