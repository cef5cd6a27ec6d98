"""HTTP plumbing shared by the feature blueprints: JSON in and out, validation."""
