"""Services: each owns the state changes of one domain and writes their audit events."""
