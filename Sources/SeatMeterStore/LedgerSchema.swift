import GRDB

/// The ledger's schema: named, append-only migrations. Never edit a registered migration; add a new one.
///
/// Instants are stored as unix seconds: `INTEGER` for header dates and report periods (whole seconds),
/// `REAL` for operational timestamps (ingest, sync runs, deliveries) where sub-second durations matter.
/// Lists of short single-line strings (automation reasons, defects, formats, recipients) are stored
/// newline-joined; the empty list is the empty string.
///
/// Foreign keys are declared (and checked by the tests with `PRAGMA foreign_key_check`) but not enforced
/// by the connections: rows are never deleted, ingest is the only writer of these tables, and enforcement
/// costs a fifth of the ingest time.
enum LedgerSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        // No `eraseDatabaseOnSchemaChange`, not even in DEBUG: the ledger holds facts that cannot always be
        // refetched (mail may have been deleted from the server since), so nothing ever erases it.
        migrator.registerMigration("v1-ledger") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2-packed-appearances") { db in
            try migrateToPackedAppearances(db)
        }
        migrator.registerMigration("auth-alarms") { db in
            try db.execute(sql: authAlarms)
        }
        migrator.registerMigration("v3-message-location") { db in
            try db.execute(sql: messageLocation)
        }
        migrator.registerMigration("v4-integer-dedup-key") { db in
            try migrateToIntegerDedupKeys(db)
        }
        migrator.registerMigration("v5-no-date-index") { db in
            try db.execute(sql: noDateIndex)
        }
        return migrator
    }()

    /// Every registered migration, in order.
    static var identifiers: [String] { migrator.migrations }

    /// The v1 schema (kept for tests that build a ledger an older SeatMeter wrote).
    static let v1 = """
        -- One row per de-duplicated message (key: Message-ID, else the SHA-256 of the header block).
        CREATE TABLE message (
            id INTEGER PRIMARY KEY,
            dedupKey TEXT NOT NULL UNIQUE,
            messageID TEXT,
            date INTEGER,
            subject TEXT,
            automationReasons TEXT NOT NULL DEFAULT '',
            defects TEXT NOT NULL DEFAULT '',
            digest TEXT NOT NULL,
            firstIngestedAt REAL NOT NULL
        );
        CREATE INDEX message_date ON message(date);

        -- Interned addresses in their stored canonical form (local-part case kept).
        CREATE TABLE address (
            id INTEGER PRIMARY KEY,
            address TEXT NOT NULL UNIQUE
        );

        -- Who appeared in which header of which message, in header order. Written once, with the message.
        CREATE TABLE appearance (
            messageId INTEGER NOT NULL REFERENCES message(id),
            position INTEGER NOT NULL,
            field TEXT NOT NULL,
            addressId INTEGER NOT NULL REFERENCES address(id),
            name TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (messageId, position)
        ) WITHOUT ROWID;

        -- The folders messages were seen in; the role is the one of the latest ingest (configuration wins).
        CREATE TABLE folder (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('incoming', 'outgoing')),
            UNIQUE (account, name)
        );

        -- Where a message was seen: a folder, and for IMAP the UIDVALIDITY and UID. 0 stands for "none"
        -- (imports): IMAP never uses 0 for either (RFC 3501 nz-number). The primary key makes an import
        -- location unique per (message, folder); location_uid makes an IMAP UID unique per folder and
        -- UIDVALIDITY.
        CREATE TABLE location (
            messageId INTEGER NOT NULL REFERENCES message(id),
            folderId INTEGER NOT NULL REFERENCES folder(id),
            uidValidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            PRIMARY KEY (messageId, folderId, uidValidity, uid)
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX location_uid ON location(folderId, uidValidity, uid) WHERE uid <> 0;

        -- How far each folder has been read. Advanced in the same transaction as the batch's facts.
        CREATE TABLE checkpoint (
            account TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidValidity INTEGER,
            lastUID INTEGER NOT NULL,
            lastSyncAt REAL NOT NULL,
            messageCount INTEGER NOT NULL,
            PRIMARY KEY (account, folder)
        );

        -- Every sync attempt of a folder (folder NULL: the whole account, e.g. a login failure).
        CREATE TABLE syncRun (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            folder TEXT,
            startedAt REAL NOT NULL,
            finishedAt REAL NOT NULL,
            newMessages INTEGER NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
            error TEXT
        );
        CREATE INDEX syncRun_folder ON syncRun(account, folder, finishedAt);

        -- The report delivery log: one row per report period, for exactly-once delivery.
        CREATE TABLE delivery (
            periodStart INTEGER PRIMARY KEY,
            periodEnd INTEGER NOT NULL,
            formats TEXT NOT NULL,
            recipients TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('sending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL,
            firstAttemptAt REAL NOT NULL,
            lastAttemptAt REAL NOT NULL,
            messageIDHeader TEXT NOT NULL,
            sentAt REAL,
            rejectedRecipients TEXT NOT NULL DEFAULT '',
            error TEXT
        );
        """

    /// OAuth2 token incidents (`Ledger+Alarms.swift`): at most one row per subject (`account:NAME` or `smtp`),
    /// reused by the next incident; the `*SentAt` columns make the alert and the recovery mail go out once.
    private static let authAlarms = """
        CREATE TABLE authAlarm (
            subject TEXT PRIMARY KEY,
            openedAt REAL NOT NULL,
            message TEXT NOT NULL,
            alertSentAt REAL,
            closedAt REAL,
            recoverySentAt REAL
        );
        """

    /// A message's first location moves into its row: a new message is one row insert instead of a row and a
    /// `location` row (with its two B-trees). Measured on the bench's writer alone (100,000 messages), the
    /// `location` insert was a third of the ingest's CPU time.
    ///
    /// `folderId`, `uidValidity` and `uid` of a message hold where its first ingest saw it (rows stored before this
    /// migration keep NULL there: their locations all stay in `location`). `location` holds every other location.
    /// `messageLocation` is both, one row per location: read locations through it.
    ///
    /// `location_uid` made an IMAP UID unique per folder and UIDVALIDITY across `location`; a row's own location is
    /// not indexed. A server that gives one UID to two different messages (never under one UIDVALIDITY, RFC 3501
    /// 2.3.1.1) now records both instead of dropping the second one's location.
    private static let messageLocation = """
        ALTER TABLE message ADD COLUMN folderId INTEGER REFERENCES folder(id);
        ALTER TABLE message ADD COLUMN uidValidity INTEGER;
        ALTER TABLE message ADD COLUMN uid INTEGER;
        \(messageLocationView)
        """

    /// The date index goes: every read of messages scans the table in id order (`NOT INDEXED`: a report's
    /// selection is most of a ledger, and rows stored in ingest order are close to date order), so it only counted
    /// rows, which the de-duplication key's index does as well. Each ingest inserted into it: a cold sync of 100,000
    /// messages spent about 40 ms of its writer's CPU there (SQLite alone, the same inserts with and without it).
    private static let noDateIndex = """
        DROP INDEX message_date;
        """

    /// The `messageLocation` view (made by v3, made again by v4 over its new `message` table).
    static let messageLocationView = """
        CREATE VIEW messageLocation AS
            SELECT id AS messageId, folderId, uidValidity, uid FROM message WHERE folderId IS NOT NULL
            UNION ALL
            SELECT messageId, folderId, uidValidity, uid FROM location;
        """
}
