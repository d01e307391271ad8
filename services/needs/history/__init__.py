"""历史数据迁移: the ended needs of an earlier system brought in, each with the times it states."""
