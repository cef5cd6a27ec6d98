"""The app's file uploads: one request (`/upload`) or resumable parts (`/upload/chunk`).

A sensor file goes through the import of app/uploads; an audio file becomes a recording
(app/audio). See docs/audio.md.
"""
