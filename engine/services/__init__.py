"""Engine services: one verb per use case, one short transaction each; plain values in and out."""
