"""Records: disposing of a case when the retention schedule allows, and the disposal
records that outlive it (docs/records.md)."""
