"""历史数据迁移: the donations an earlier system received brought in, each at the time it states."""
