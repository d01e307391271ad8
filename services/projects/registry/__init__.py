"""The registry of the projects service: social organizations (社会组织登记) and their evaluation
grades, the service platforms (社工站 / 社会工作室 / 孵化基地), the communities the coverage targets
are counted over, and the purchase lists (购买社区公共服务项目清单). domain.py holds the pure rules and
statistics, store.py the SQL, handlers.py the use cases, api.py the routes."""
