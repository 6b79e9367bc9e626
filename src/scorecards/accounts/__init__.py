"""Customer accounts and the people at them (contacts, with roles)."""
