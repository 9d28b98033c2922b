"""People: users and roles, staff accounts administered (accounts.py) with their password rules, signing in (server-side sessions, throttled guessing), the customer register, the record of unmasked views (M6), masking.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.people.access_log import cases_named_in, holds_personal_data
from engine.people.accounts import (
    ACCOUNT_PROBLEMS,
    ROLES,
    account_stamp,
    add_account,
    change_own_password,
    reset_password,
    search_accounts,
    set_account_active,
    update_account,
)
from engine.people.customer_export import export_customers
from engine.people.customer_files import IMPORT_LIMIT_MB, ImportRefused, read_rows
from engine.people.customer_import import ImportResult, import_customers, rejected_of, rejected_rows_csv
from engine.people.customers import (
    cases_of_phone,
    customers_by_account,
    find_customers,
    register_caller,
    register_size,
)
from engine.people.masking import CUSTOMER_COLUMNS, masked, masked_as, personal_kinds
from engine.people.register_use_cases import (
    EXPORT_KINDS,
    export_register,
    import_register,
    kept_import,
    latest_imports,
)
from engine.people.sign_in import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    SEEN_EVERY,
    THROTTLE_WINDOW,
    SessionLimits,
    SessionState,
    SignInLocked,
    SignInRefused,
    check_credentials,
    delete_ended_sessions,
    end_session,
    note_seen,
    open_session,
    record_failed_sign_in,
    session_state,
    sessions_of,
)
from engine.people.use_cases import record_case_list_view, record_case_view, record_customer_view
from engine.people.users import (
    PII_ROLES,
    actor_of,
    authenticate,
    create_user,
    end_sessions_of,
    find_user,
    set_active,
    set_password,
)
from engine.reference import STAFF_ROLES

__all__ = [
    "ImportRefused",
    "ImportResult",
    "export_customers",
    "import_customers",
    "read_rows",
    "rejected_rows_csv",
    "rejected_of",
    "IMPORT_LIMIT_MB",
    "EXPORT_KINDS",
    "export_register",
    "import_register",
    "kept_import",
    "latest_imports",
    "customers_by_account",
    "register_size",
    "ACCOUNT_PROBLEMS",
    "ROLES",
    "account_stamp",
    "add_account",
    "change_own_password",
    "reset_password",
    "search_accounts",
    "set_account_active",
    "update_account",
    "CUSTOMER_COLUMNS",
    "ACCOUNT_LIMIT",
    "ADDRESS_LIMIT",
    "PII_ROLES",
    "SEEN_EVERY",
    "STAFF_ROLES",
    "THROTTLE_WINDOW",
    "SessionLimits",
    "SessionState",
    "SignInLocked",
    "SignInRefused",
    "actor_of",
    "authenticate",
    "cases_named_in",
    "cases_of_phone",
    "check_credentials",
    "create_user",
    "delete_ended_sessions",
    "end_session",
    "end_sessions_of",
    "find_customers",
    "find_user",
    "note_seen",
    "open_session",
    "record_failed_sign_in",
    "session_state",
    "sessions_of",
    "set_active",
    "set_password",
    "holds_personal_data",
    "masked",
    "masked_as",
    "personal_kinds",
    "record_case_list_view",
    "record_case_view",
    "record_customer_view",
    "register_caller",
]
