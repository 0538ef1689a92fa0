-- Undo 0006.create-user-view: drops the user view.

DROP VIEW user_details;
