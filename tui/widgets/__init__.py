"""The console's widgets: the queue, the transcript, the profile panel."""
