"""Exchange with the tools people already use: Open Cap Table Format, Excel and iCalendar."""
