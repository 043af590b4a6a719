/* JOINTNLU_API marks what libjointnlu exports. The library is built with hidden visibility (and a
 * linker version script), so everything without this mark stays private to it: the runtime's
 * internals can change without breaking an application built against an older header. */
#ifndef JOINTNLU_EXPORT_H
#define JOINTNLU_EXPORT_H

#if defined(_WIN32)
#if defined(JOINTNLU_BUILDING_LIBRARY)
#define JOINTNLU_API __declspec(dllexport)
#else
#define JOINTNLU_API __declspec(dllimport)
#endif
#else
#define JOINTNLU_API __attribute__((visibility("default")))
#endif

/* The version of the headers; jointnlu_version() gives the library's. */
#define JOINTNLU_VERSION_MAJOR 0
#define JOINTNLU_VERSION_MINOR 1
#define JOINTNLU_VERSION_PATCH 0

#endif /* JOINTNLU_EXPORT_H */
