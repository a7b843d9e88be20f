"""Research support: checking the model's coding against people (validation), across runs
(agreement) and writing it up (report, replication package). Plain Python, no Qt."""
