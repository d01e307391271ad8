"""Organization of volunteer service (志愿服务组织): community service facilities and their
volunteer service stations, teams supervised by social workers, their training and supervision
(社工引领志愿者), and per-area statistics. domain.py holds the pure rules and statistics, store.py
the SQL, handlers.py the use cases, config.py the settings, api.py the routes."""
