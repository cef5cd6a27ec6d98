"""HTTP plumbing shared by the feature blueprints; it imports no feature package."""
