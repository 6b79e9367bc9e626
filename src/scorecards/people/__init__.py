"""Who works in the product: roles, teams, and what each role may do."""
