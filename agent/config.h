#ifndef HG_CONFIG_H
#define HG_CONFIG_H
#endif
