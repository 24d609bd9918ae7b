"""Each region's recorded policy: its reminder, escalation and deadline timetable."""
