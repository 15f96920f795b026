"""Dispatch suggestions (分拨建议) for 12345 tickets: a text classifier trained on operators' decisions.

`classifier` is plain Python (no Django) so it can be trained, benchmarked and tested on its own;
`training` builds the training set from the data files and the database and keeps the process's model.
"""
