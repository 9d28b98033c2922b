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
from engine.people.customer_import import (
    ImportRefused,
    ImportResult,
    export_customers,
    import_customers,
    read_rows,
    rejected_rows_csv,
)
from engine.people.customer_messages import (
    MESSAGE_LANGUAGES,
    customer_message_preferences,
    set_customer_message_preferences,
)
from engine.people.customers import cases_of_phone, find_customers, register_caller
from engine.people.directory import (
    DirectoryPerson,
    DirectorySettings,
    DirectoryUnavailable,
    directory_person,
    probe_directory,
)
from engine.people.directory_sign_in import (
    DIRECTORY_ACTOR,
    DirectorySignIn,
    check_directory_credentials,
    directory_account,
    signs_in_with_directory,
)
from engine.people.installation_secrets import session_signing_key, shared_secret
from engine.people.masking import CUSTOMER_COLUMNS, masked, masked_as, personal_kinds
from engine.people.message_channel import MESSAGE_CHANNELS, choose_message_channel
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
    "DIRECTORY_ACTOR",
    "DirectoryPerson",
    "DirectorySettings",
    "DirectorySignIn",
    "DirectoryUnavailable",
    "check_directory_credentials",
    "directory_account",
    "directory_person",
    "probe_directory",
    "signs_in_with_directory",
    "MESSAGE_LANGUAGES",
    "set_customer_message_preferences",
    "customer_message_preferences",
    "MESSAGE_CHANNELS",
    "choose_message_channel",
    "ImportRefused",
    "ImportResult",
    "export_customers",
    "import_customers",
    "read_rows",
    "rejected_rows_csv",
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
    "session_signing_key",
    "shared_secret",
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
