"""The resident registry of the needs service (居民登记): residents and their consents (PIPL), need
surveys and household visits (入户走访) that raise the needs they find, and the list of residents due
for a proactive visit. domain.py holds the pure rules, store.py the SQL, handlers.py the use cases,
api.py the routes; the registry's ciphertexts are declared in services/needs/handlers.py ENCRYPTED."""
