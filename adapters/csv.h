#ifndef HG_CSV_H
#define HG_CSV_H
#endif
