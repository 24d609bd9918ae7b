"""The registers: councils, peers, support offers, the support matrix and budgets."""
