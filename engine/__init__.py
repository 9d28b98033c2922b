"""Hotline Flow engine: BPMN definitions, persisted workflow instances, history. No Flask here."""
