"""Running batches: the job history, the lifecycle engine, provider adapters and the pilot."""
