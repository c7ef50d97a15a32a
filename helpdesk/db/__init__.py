from helpdesk.db.engine import Database, Transaction

__all__ = ["Database", "Transaction"]
