"""The case list: its projection, worklists, tallies and the side-table migrations."""
