/** Where pdf.js's worker is served (web/build.mjs copies it into the assets under a hashed name). */
declare const PDF_WORKER_URL: string;
