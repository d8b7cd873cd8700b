"""Music trends from the daily tables (pure functions, no Dagster, no I/O):

- :mod:`.positions`: ``playlist_entries`` history → ``playlist_trends`` rows;
- :mod:`.share`: entries, songs and artists of a day → ``artist_daily_share`` rows;
- :mod:`.chart`: a PNG chart of the top songs' positions over the last snapshots.
"""
