#ifndef HG_RULES_H
#define HG_RULES_H
#endif
