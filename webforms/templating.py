"""What templates may call: the filters and globals every page shares, registered once."""

from __future__ import annotations

from flask import Flask

from webforms.diagram_language import shown_diagram
from webforms.diagram_names import (
    element_label,
    option_label,
    process_label,
    step_label,
    steps_label,
    task_label,
)
from webforms.history_effects import effect_words
from webforms.i18n import label_colon
from webforms.labels import EVENT_KINDS, actor_label, data_label, error_text, field_label, group_label
from webforms.people.auth import can_do
from webforms.people.masking import mask
from webforms.reference.labels import (
    department_routes,
    enum_name,
    from_upstream,
    localized_name,
    option_groups,
    source_label,
)
from webforms.shown_values import (
    case_rows,
    datetime_input,
    display_value,
    duration_text,
    local_time,
    time_left,
    visible_changes,
)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(
        field_label=field_label,
        data_label=data_label,
        error_text=error_text,
        mask=mask,
        display_value=display_value,
        event_kinds=EVENT_KINDS,
        can_do=can_do,
        task_label=task_label,
        option_label=option_label,
        step_label=step_label,
        element_label=element_label,
        steps_label=steps_label,
        process_label=process_label,
        shown_diagram=shown_diagram,
        visible_changes=visible_changes,
        effect_words=effect_words,
        case_rows=case_rows,
        localized_name=localized_name,
        group_label=group_label,
        actor_label=actor_label,
        enum_name=enum_name,
        department_routes=department_routes,
        option_groups=option_groups,
        source_label=source_label,
        from_upstream=from_upstream,
        datetime_input=datetime_input,
        time_left=time_left,
        duration_text=duration_text,
        label_colon=label_colon,
    )
