"""Reading results: answers checked against the fields, rows mapped back by ID, export."""
