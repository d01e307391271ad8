"""我的诉求: what a resident sees of their own needs, on their phone."""
