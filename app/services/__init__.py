"""Services: load rows, call risk/ or codes/, persist, enqueue after commit."""
