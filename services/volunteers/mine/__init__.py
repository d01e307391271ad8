"""我的志愿服务: what a volunteer sees of their own service, on their phone."""
