#ifndef HG_NHSA_H
#define HG_NHSA_H
#endif
