"""Signals other apps listen to; sent on commit so listeners see the committed catalog."""

from django.dispatch import Signal

# Sent after any committed change of published catalog content (load, publish, import).
catalog_changed = Signal()
