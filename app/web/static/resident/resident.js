// resident
