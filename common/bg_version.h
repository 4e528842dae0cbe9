/* bg_version: the version and JSON schema every output carries. */
#ifndef BG_VERSION_H
#define BG_VERSION_H

#define BG_VERSION "0.1.0"
#define BG_JSON_SCHEMA 1

#endif
