/** The absolute path of the loadable module joblib0.so in this package. */
export function getLoadablePath(): string;
/** Loads sqlite-joblib into a better-sqlite3 or libsql Database (db.loadExtension). */
export function load<T extends { loadExtension(path: string, ...rest: any[]): unknown }>(db: T): T;
