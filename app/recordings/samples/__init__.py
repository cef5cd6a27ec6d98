"""The sample store: the only code that reads or writes the `sensor_data` table.

`writing` stores a batch (set-based upsert), `reading` pages and streams samples, `fields`
tracks the data keys of each session and sensor type. Every other module goes through these.
"""
