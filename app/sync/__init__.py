"""Phone sync: push (sessions and samples in), pull (changes out) and status."""
