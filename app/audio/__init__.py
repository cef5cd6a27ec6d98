"""Audio recordings of sessions: sniffing, storage on disk, the service and the download."""
