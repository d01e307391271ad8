"""Organization of volunteer service (志愿服务组织): community service facilities and their
volunteer service stations, teams supervised by social workers, their training and supervision
(社工引领志愿者), and per-area statistics. store.py holds the SQL, service.py the use cases,
api.py the routes."""
