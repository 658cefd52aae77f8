-- 0002: full-text search over guests and reservations (name, email, phone, room, number),
-- kept current by triggers and back-filled from rows written before this migration.
-- The index rowid is row_no * 2 for a customer and row_no * 2 + 1 for a reservation.

CREATE VIRTUAL TABLE search_index USING fts5 (
    entity UNINDEXED,
    entity_id UNINDEXED,
    venue_id UNINDEXED,
    name,
    email,
    phone,
    room,
    number,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- A phone is indexed as written and as bare digits, so "+44 20 7946 0958" and "442079460958" both match.
-- Triggers select from these views by row_no (the rowid) so each write touches only its own rows.
CREATE VIEW customer_search_rows AS
SELECT c.row_no, c.row_no * 2 AS search_rowid, c.id AS entity_id, c.venue_id,
       trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) AS name,
       coalesce(c.email, '') AS email,
       coalesce(c.phone, '') || ' ' || replace(replace(replace(replace(replace(replace(
           coalesce(c.phone, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), '.', '') AS phone
FROM customers c;

CREATE VIEW reservation_search_rows AS
SELECT r.row_no, r.row_no * 2 + 1 AS search_rowid, r.id AS entity_id, r.venue_id,
       r.customer_id, r.resource_id,
       trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) AS name,
       coalesce(c.email, '') AS email,
       coalesce(c.phone, '') || ' ' || replace(replace(replace(replace(replace(replace(
           coalesce(c.phone, ''), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), '.', '') AS phone,
       coalesce(res.name, '') AS room,
       coalesce(r.number, '') || ' ' || r.external_id AS number
FROM reservations r
LEFT JOIN customers c ON c.id = r.customer_id
LEFT JOIN resources res ON res.id = r.resource_id;

INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
SELECT search_rowid, 'customer', entity_id, venue_id, name, email, phone, '', '' FROM customer_search_rows;
INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
SELECT search_rowid, 'reservation', entity_id, venue_id, name, email, phone, room, number FROM reservation_search_rows;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
    SELECT search_rowid, 'customer', entity_id, venue_id, name, email, phone, '', ''
    FROM customer_search_rows WHERE row_no = NEW.row_no;
END;

CREATE TRIGGER customers_search_update AFTER UPDATE ON customers BEGIN
    DELETE FROM search_index WHERE rowid = OLD.row_no * 2;
    INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
    SELECT search_rowid, 'customer', entity_id, venue_id, name, email, phone, '', ''
    FROM customer_search_rows WHERE row_no = NEW.row_no;
    DELETE FROM search_index WHERE rowid IN (SELECT row_no * 2 + 1 FROM reservations WHERE customer_id = NEW.id);
    INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
    SELECT search_rowid, 'reservation', entity_id, venue_id, name, email, phone, room, number
    FROM reservation_search_rows WHERE customer_id = NEW.id;
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    DELETE FROM search_index WHERE rowid = OLD.row_no * 2;
END;

CREATE TRIGGER reservations_search_insert AFTER INSERT ON reservations BEGIN
    INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
    SELECT search_rowid, 'reservation', entity_id, venue_id, name, email, phone, room, number
    FROM reservation_search_rows WHERE row_no = NEW.row_no;
END;

CREATE TRIGGER reservations_search_update AFTER UPDATE ON reservations BEGIN
    DELETE FROM search_index WHERE rowid = OLD.row_no * 2 + 1;
    INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
    SELECT search_rowid, 'reservation', entity_id, venue_id, name, email, phone, room, number
    FROM reservation_search_rows WHERE row_no = NEW.row_no;
END;

CREATE TRIGGER reservations_search_delete AFTER DELETE ON reservations BEGIN
    DELETE FROM search_index WHERE rowid = OLD.row_no * 2 + 1;
END;

CREATE TRIGGER resources_search_update AFTER UPDATE OF name ON resources BEGIN
    DELETE FROM search_index WHERE rowid IN (SELECT row_no * 2 + 1 FROM reservations WHERE resource_id = NEW.id);
    INSERT INTO search_index (rowid, entity, entity_id, venue_id, name, email, phone, room, number)
    SELECT search_rowid, 'reservation', entity_id, venue_id, name, email, phone, room, number
    FROM reservation_search_rows WHERE resource_id = NEW.id;
END;
