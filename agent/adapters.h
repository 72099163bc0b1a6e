#ifndef HG_ADAPTERS_H
#define HG_ADAPTERS_H
#endif
